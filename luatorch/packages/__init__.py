"""The Python halves of Torch7's companion packages, one module per Lua package served."""
