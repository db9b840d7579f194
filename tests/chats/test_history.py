"""Cutting a long conversation to a token budget, oldest first, never silently."""

from __future__ import annotations

from kasal.chats.service import fit, tokens_of


def _message(role: str, words: int) -> dict[str, str]:
    return {"role": role, "content": " ".join(["word"] * words)}


def test_a_talk_that_fits_is_kept_whole() -> None:
    talk = [_message("user", 5), _message("assistant", 5)]
    assert fit(talk, 1_000) == (talk, 0)


def test_the_oldest_messages_go_first_and_a_note_says_how_many() -> None:
    talk = [_message("user", 100), _message("assistant", 100), _message("user", 10)]
    budget = tokens_of(talk[2]) + 40  # room for the newest message and a note only
    kept, omitted = fit(talk, budget)
    assert omitted == 2
    assert kept[1:] == talk[2:]
    assert kept[0]["role"] == "system"
    assert "2 earlier messages of this conversation left out" in kept[0]["content"]
    assert sum(map(tokens_of, kept)) <= budget


def test_the_note_takes_the_place_of_a_message_when_both_do_not_fit() -> None:
    talk = [_message("user", 100), _message("assistant", 30)]
    budget = tokens_of(talk[1]) + 5  # the newest fits alone, not with the note
    kept, omitted = fit(talk, budget)
    assert omitted == 2
    assert [m["role"] for m in kept] == ["system"]


def test_with_no_room_at_all_nothing_of_the_past_goes_in() -> None:
    assert fit([_message("user", 10)], 3) == ([], 1)
