"""The plugin's own tests; ``helpers`` beside this file is importable from every test folder."""
