"""Names vulture cannot see used: entry points called by learners, instructors, Jupyter and the CLI.

Read by ``tests/test_course_layer.py`` (``vulture lstmkit/course tests/vulture_whitelist.py``);
every name here is public API or a protocol hook, not dead code.
"""
# ruff: noqa: B018  (bare names are how vulture whitelists are written)

import lstmkit.course
from lstmkit.course import checker, model, result
from lstmkit.course.grade import cli, guard
from lstmkit.course.release import ClearSolutionsWithStub, register_release

checker.assert_passes  # notebooks' hidden tests
checker.show_progress  # lessons and exercises
cli.register_grade  # lstmkit.cli
register_release  # lstmkit.cli
ClearSolutionsWithStub.code_stub  # read by nbgrader's ClearSolutions
guard.sys.dont_write_bytecode  # read by the interpreter
result.Result._ipython_display_  # IPython's display protocol
result.CaseVerdict.expected_shape  # shown in results.json and the class report
result.CaseVerdict.got_shape
result.CaseVerdict.max_error
model.Spec.uses  # composite exercises: unroll calls lstm_cell
lstmkit.course.__getattr__  # PEP 562
nbgrader_row = None  # nbgrader's Grade and SubmittedNotebook columns: set by grade/exports.py, read by nbgrader
nbgrader_row.manual_score
nbgrader_row.late_submission_penalty
