"""`python -m beffroi` is the `beffroi` command."""

from beffroi.cli import main

main()
