"""[keymap] checks: key names Textual can bind, known ids, quit always reachable."""

from __future__ import annotations

import pytest

from g2d_tui.keys import is_bindable, validate_keymap

IDS = {"quit", "help", "new_chat", "send", "settings", "save_image"}


@pytest.mark.parametrize(
    "key",
    ["ctrl+q", "f5", "f24", "enter", "shift+enter", "ctrl+shift+up", "ctrl+comma", "comma", "a", "A", "?",
     "question_mark", "plus", "ctrl+minus", "slash", "space", "tab", "escape", "pageup", "alt+home", "é", "ctrl+@"],
)
def test_keys_textual_can_bind(key):
    assert is_bindable(key)


@pytest.mark.parametrize(
    "key",
    ["", " ", "Ctrl+Q", "F2", "f25", "ctrl+", "ctrl++", "ctrl+ctrl+a", "control+a", "bogus", "kp_enter", "[/x]",
     "ctrl-at", " f5", "solidus", "\x1b", "ctrl+\x1b"],
)
def test_keys_textual_cannot_bind(key):
    assert not is_bindable(key)


def test_unknown_ids_and_unbindable_keys_keep_the_defaults_and_are_reported():
    check = validate_keymap({"new_chat": "ctrl+n", "nope": "f9", "help": "f1, F2", "save_image": "ctrl+s , f5, ?"}, IDS)
    assert check.keymap == {"new_chat": "ctrl+n", "save_image": "ctrl+s,f5,question_mark"}
    assert [(p.key, p.params) for p in check.problems] == [
        ("keymap.unknown_id", {"id": "nope"}),
        ("keymap.bad_key", {"id": "help", "keys": "f1, F2", "key": "F2"}),
    ]
    assert "“F2”" in check.problems[1].message()


@pytest.mark.parametrize(
    ("keymap", "expected"),
    [
        ({"help": "ctrl+q"}, {"quit": "ctrl+q"}),
        ({"quit": "f10", "settings": "f10,f2"}, {"quit": "ctrl+q", "settings": "f10,f2"}),
        ({"quit": "Ctrl+Q", "new_chat": "ctrl+q"}, {"quit": "ctrl+q"}),
    ],
)
def test_quit_keeps_ctrl_q_when_nothing_else_would_quit(keymap, expected):
    check = validate_keymap(keymap, IDS)
    assert check.keymap == expected
    assert check.problems[-1].key == "keymap.quit_kept"


@pytest.mark.parametrize("keymap", [{"quit": "f10"}, {"quit": "f10,ctrl+x", "help": "f10"}, {"new_chat": "ctrl+n"}, {}])
def test_quit_with_a_key_of_its_own_is_left_alone(keymap):
    check = validate_keymap(keymap, IDS)
    assert "keymap.quit_kept" not in [p.key for p in check.problems]
    assert check.keymap.get("quit", "ctrl+q") != ""


def test_hostile_ids_and_keys_are_cleaned_in_the_messages():
    check = validate_keymap({"\x1b]0;x\x07": "f5", "help": "\x1b[2J"}, IDS)
    for problem in check.problems:
        assert "\x1b" not in problem.message()
