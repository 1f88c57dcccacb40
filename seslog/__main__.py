from seslog.cli import run

run()
