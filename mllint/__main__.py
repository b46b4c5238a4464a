"""``python -m mllint``."""

from mllint.launcher import main

if __name__ == "__main__":
    main()
