"""What every agent is handed: the run folder, the options, the variant, the progress line, the llm brains."""

from __future__ import annotations

from dataclasses import dataclass

from iml.llm.brains import LLMBrains
from iml.options import RunOptions
from iml.perception.profile import Profile
from iml.perception.summary import TaskSummary
from iml.planning.blueprint import Blueprint
from iml.planning.markdown import blueprint_markdown
from iml.progress import Progress
from iml.runfolder import RunFolder
from iml.variants import Variant


@dataclass
class AgentContext:
    folder: RunFolder
    options: RunOptions
    variant: Variant
    progress: Progress
    brains: LLMBrains | None = None  # None in expert mode (--llm none)

    @property
    def summary(self) -> TaskSummary:
        return self.folder.read_model("task_summary.json", TaskSummary)

    @property
    def profile(self) -> Profile:
        return self.folder.read_model("profile.json", Profile)

    @property
    def blueprint(self) -> Blueprint:
        return self.folder.read_model("blueprint.json", Blueprint)

    def save_blueprint(self, bp: Blueprint) -> None:
        self.folder.write_model("blueprint.json", bp)
        self.folder.write_text("blueprint.md", blueprint_markdown(bp, self.summary))
