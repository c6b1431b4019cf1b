"""How a worker sees that a function patched what the next would share (worker.Unit.shared_state):
by the count of changes CPython keeps in each watched dict, read without touching its values."""

from __future__ import annotations

import types

from autograder.engine import worker


class Library:
    def method(self):
        return 1


def test_a_patch_of_a_module_or_a_class_changes_its_version_and_a_call_does_not():
    module = types.ModuleType("library")
    module.function = lambda: 1
    for owner, patch in (
        (module, lambda: setattr(module, "function", lambda: 2)),
        (Library, lambda: setattr(Library, "method", lambda self: 2)),
        (Library, lambda: setattr(Library, "added", 3)),
    ):
        attributes = worker._attributes(owner)
        assert attributes is owner.__dict__ or dict(attributes) == dict(vars(owner))
        before = worker._version(attributes)
        Library().method(), module.function()  # reading and calling change nothing
        assert worker._version(attributes) == before
        patch()
        assert worker._version(attributes) != before


def test_versions_are_used_here_and_every_kind_of_change_counts():
    # This project's interpreter (CPython 3.10 to 3.12) keeps the count; elsewhere the values are compared.
    assert worker.DICT_VERSIONS and worker._versions_count_changes()
