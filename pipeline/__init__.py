"""regwatch: watch tech and policy news for regulatory change."""
__version__ = "0.1.0"
