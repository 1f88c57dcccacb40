"""Evaluate the Pulumi program without a cloud or the Pulumi CLI: stack config loaded as the
CLI loads it, the program run under Pulumi's mocks, every registration recorded."""
