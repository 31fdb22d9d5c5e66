# NOTE: makes the Lua tree an importable package so it ships inside the wheel (luatorch._lua).
