"""One name for one thing: the settings once called "paper" (or "seed") have their own names,
and the old spellings a user may have written still work (API, flags, config files)."""

import pytest

from msroi import cli
from msroi.errors import InvalidArgumentError, MsroiError
from msroi.names import canonical


def test_canonical_takes_a_choice_or_an_old_spelling_and_names_the_choices():
    assert canonical("b", ["a", "b"], kind="thing") == "b"
    assert canonical("old", ["a", "b"], kind="thing", renamed={"old": "a"}) == "a"
    with pytest.raises(InvalidArgumentError, match=r"^unknown thing 'c' \(choose from a, b\)$"):
        canonical("c", ["a", "b"], kind="thing", renamed={"old": "a"})
    assert issubclass(InvalidArgumentError, MsroiError) and issubclass(InvalidArgumentError, ValueError)


@pytest.mark.parametrize("command, flag, old, new", [
    ("evaluate", "--protocol", "paper", "vqmt"),
    ("map", "--combine", "paper", "ranking"),
    ("train", "--optimiser", "paper", "dcc2017"),
])
def test_old_flag_values_become_the_new_names(command, flag, old, new):
    required = {"evaluate": ["--data", "x"], "map": ["x", "-o", "y"], "train": []}[command]
    parser = cli.build_parser(command)
    dest = {"--protocol": "protocol", "--combine": "combine", "--optimiser": "optimiser"}[flag]
    assert getattr(parser.parse_args([command, *required, flag, old]), dest) == new
    assert getattr(parser.parse_args([command, *required, flag, new]), dest) == new
    with pytest.raises(SystemExit):
        parser.parse_args([command, *required, flag, "nonsense"])


def test_no_mixing_models_flag_keeps_its_old_spelling():
    parser = cli.build_parser("evaluate")
    for flag in ("--no-mixing-models", "--no-seeds"):
        assert parser.parse_args(["evaluate", "--data", "x", flag]).no_mixing_models is True
