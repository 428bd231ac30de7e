"""Every command and every option of the command line says what it does in `--help`.

The test walks the parser that `main.py` builds, so a command added later is checked too.
"""

import argparse

import pytest

from annotator.cli import build_parser


def _subcommands(parser: argparse.ArgumentParser, prefix=()):
    """(command words, parser, its help line) for every subcommand, nested ones included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*prefix, name), sub, helps.get(name)
                yield from _subcommands(sub, (*prefix, name))


def _undocumented(parser: argparse.ArgumentParser) -> list[str]:
    return [
        "/".join(action.option_strings) or action.dest
        for action in parser._actions
        if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction))
        and not (action.help or "").strip()
    ]


COMMANDS = list(_subcommands(build_parser()))


def test_the_walk_finds_the_commands():
    names = {" ".join(words) for words, _parser, _help in COMMANDS}
    assert {"annotate", "train", "evaluate", "calibrate", "export", "import", "gui"} <= names


def test_the_top_level_options_have_help():
    assert _undocumented(build_parser()) == []


@pytest.mark.parametrize(
    "words, parser, help_line", COMMANDS, ids=[" ".join(c[0]) for c in COMMANDS]
)
def test_every_option_of_every_command_has_help(words, parser, help_line):
    assert (help_line or "").strip(), f"`{' '.join(words)}` has no help line in the command list"
    assert _undocumented(parser) == [], f"`{' '.join(words)}` has options without help"
    text = parser.format_help()  # a stray % in a help string fails here, not in a user's hands
    assert "usage:" in text


def test_help_prints_and_exits_cleanly(capsys):
    from annotator.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["train", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "--data SPEC" in out and "labelled data" in out and "the model type to train" in out
