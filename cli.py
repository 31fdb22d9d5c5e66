"""Top-level entry point: a thin shim over `luatorch.cli` (python cli.py run script.lua)."""

from luatorch.cli import main

if __name__ == "__main__":
    main()
