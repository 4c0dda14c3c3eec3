"""The plan workflow's live patches, in one place: every id ImplementationPlanWorkflow passes to
`workflow.patched` or `workflow.deprecate_patch` is a constant here and a key of PATCHES.

Empty until the first tagged release: nothing ran before it, so nothing replays older code. From
then on a change to the commands the workflow issues goes `patched` -> `deprecate_patch` -> removed,
one release per step (docs/release.md; temporalio/samples-python `patching`). For example:

    BASELINE_REMINDER = "baseline-reminder"
    PATCHES = {BASELINE_REMINDER: "1.1: a reminder as the baseline starts; patched"}
    ...
    if workflow.patched(patches.BASELINE_REMINDER):  # in workflows.py
"""

# id -> what it changes, the release it came in, and its stage (patched | deprecated).
PATCHES: dict[str, str] = {}
