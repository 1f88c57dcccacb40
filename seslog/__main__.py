import sys

from seslog.cli import main

sys.exit(main())
