"""The cloud security explorer: structured questions compiled to bounded, parameterized Cypher."""

from cloudmap.explorer.compiler import Compiled, QuestionError, compile_question
from cloudmap.explorer.question import Question

__all__ = ["Compiled", "Question", "QuestionError", "compile_question"]
