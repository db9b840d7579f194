"""The offline designer behind the `demo` model: a template, not a language model.

With no key and no network a first-time user can still turn a sentence into a crew that
runs: the sentence is cut into steps at "and", "then", commas and semicolons; each step's
first word picks a role (research → a researcher, write → a writer, review → a reviewer,
anything else → a specialist of that verb); the first step's object becomes the crew's
`{topic}` input; each task takes the one before it as context. The same sentence always
gives the same crew. A refinement adds its steps after the crew's last task, or removes
the agents a "remove ..." step names.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from kasal.crews.schemas import CrewBody
from kasal.generate.design import design_of
from kasal.generate.schemas import MAX_DESIGN_TASKS, CrewDesign, DesignAgent, DesignTask

_STEPS = re.compile(r"\s*(?:[,;.]|\band then\b|\bthen\b|\band\b)\s*", re.IGNORECASE)
_FILLER = re.compile(r"^(?:(?:please|also|then|add|include|and)\s+)*(?:(?:a|an|the)\s+)?", re.I)
_REMOVE = re.compile(r"^(?:remove|delete|drop)\s+(?:(?:a|an|the)\s+)?(\w+)", re.IGNORECASE)
_AGENT_NOUN = re.compile(r"^(\w+(?:er|or|ist|ant))\b\s*(?:(?:who|that|to|which)\s+)?(.*)$", re.I)
_SLUG = re.compile(r"[^a-z0-9]+")
# Words that end like an agent ("-er") but are not one.
_NOT_AGENTS = frozenset({"other", "after", "under", "over", "offer", "order", "gather", "answer"})

# verb → (agent key, role, goal, expected output, tools it would like, in order of preference)
_ROLES: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {}
for _verbs, _role in (
    (
        ("research", "find", "look", "search", "gather", "collect", "investigate", "explore"),
        (
            "researcher",
            "Researcher",
            "Find accurate, relevant facts",
            "The key facts found, as a bulleted list, each with its source",
            ("web_search", "web_page"),
        ),
    ),
    (
        ("analyse", "analyze", "compare", "evaluate", "assess", "calculate", "measure"),
        (
            "analyst",
            "Analyst",
            "Turn facts into clear findings",
            "The findings, with the reasoning and figures behind each",
            ("calculator",),
        ),
    ),
    (
        ("write", "draft", "compose", "summarise", "summarize", "report", "create", "prepare"),
        (
            "writer",
            "Writer",
            "Write clear, well-structured text for its readers",
            "The finished text, in Markdown",
            (),
        ),
    ),
    (
        ("review", "check", "verify", "edit", "proofread", "validate", "critique"),
        (
            "reviewer",
            "Reviewer",
            "Check work for accuracy and clarity, and correct it",
            "The corrected text, then a short list of what was changed and why",
            (),
        ),
    ),
    (
        ("plan", "outline", "organise", "organize", "schedule"),
        ("planner", "Planner", "Make a practical plan", "A numbered plan of steps", ()),
    ),
    (
        ("translate",),
        ("translator", "Translator", "Translate faithfully", "The translated text", ()),
    ),
):
    for _verb in _verbs:
        _ROLES[_verb] = _role
_BY_AGENT = {role[0]: role for role in _ROLES.values()}


def design(prompt: str, tools: Collection[str], base: CrewBody | None = None) -> CrewDesign:
    """The crew a sentence describes (or `base` changed as it says), deterministically."""
    steps = [s for s in (_FILLER.sub("", part) for part in _STEPS.split(prompt)) if s]
    if base is not None:
        return _refined(design_of(base), steps, tools, prompt)
    steps = steps or [prompt.strip()]
    first = steps[0].split(maxsplit=1)
    agents: list[DesignAgent] = []
    tasks: list[DesignTask] = []
    for index, step in enumerate(steps[:MAX_DESIGN_TASKS]):
        _add_step(agents, tasks, step, tools, "{topic}" if index == 0 else "about {topic}")
    return CrewDesign(
        name=_sentence(prompt)[:200].rstrip("."),
        description=f"Made offline from: {prompt.strip()}"[:2000],
        agents=agents,
        tasks=tasks,
        default_inputs={"topic": first[-1]},
        summary="Designed offline by Kasal's demo template (not a language model).",
    )


def _refined(
    current: CrewDesign, steps: list[str], tools: Collection[str], prompt: str
) -> CrewDesign:
    agents, tasks = list(current.agents), list(current.tasks)
    for step in steps:
        removed = _REMOVE.match(step)
        if removed:
            agents, tasks = _without(agents, tasks, removed.group(1).lower())
        elif len(tasks) < MAX_DESIGN_TASKS:
            _add_step(agents, tasks, step, tools, "")
    return current.model_copy(
        update={
            "agents": agents,
            "tasks": tasks,
            "summary": f"Changed offline by Kasal's demo template: {prompt.strip()}"[:2000],
        }
    )


def _add_step(
    agents: list[DesignAgent],
    tasks: list[DesignTask],
    step: str,
    tools: Collection[str],
    topic: str,
) -> None:
    """Append the task a step describes, and its agent unless the crew has it already."""
    verb = step.split(maxsplit=1)[0]
    noun = _AGENT_NOUN.match(step)
    # The first step's object is the crew's input; later steps say what they are about.
    action = f"{verb} {{topic}}" if topic == "{topic}" else f"{step} {topic}".strip()
    wanted: tuple[str, ...] = ()
    task_stem = _slug(verb)
    if verb.lower() in _ROLES:
        key, role, goal, expected, wanted = _ROLES[verb.lower()]
    elif noun and verb.lower() not in _NOT_AGENTS:
        key = noun.group(1).lower()
        role, goal, expected = key.capitalize(), f"Do the work of a {key} well", "The result"
        if key in _BY_AGENT:
            _, role, goal, expected, wanted = _BY_AGENT[key]
        action = _imperative(noun.group(2)) or f"Do the work of the {key}"
        task_stem = _slug(action.split(maxsplit=1)[0])
    else:
        key = _slug(verb) or "specialist"
        role = f"{verb.capitalize()} specialist"
        goal = _sentence(step)
        expected = "The result of the step, clearly laid out"
    if all(a.key != key for a in agents) and any(t.key == key for t in tasks):
        key = f"{key}_agent"
    if all(a.key != key for a in agents):
        chosen = [tool for tool in wanted if tool in tools][:1]
        agents.append(
            DesignAgent(
                key=key,
                role=role,
                goal=goal,
                backstory=f"An experienced {role.lower()} who works carefully and says what "
                "is uncertain.",
                tools=chosen,
            )
        )
    task_key = _free({a.key for a in agents} | {t.key for t in tasks}, task_stem or "step")
    previous = [tasks[-1].key] if tasks else []
    later = " Build on the results of the previous task." if previous else ""
    tasks.append(
        DesignTask(
            key=task_key,
            name=_sentence(step)[:200],
            description=f"{_sentence(action).rstrip('.')}.{later}",
            expected_output=expected,
            agent=key,
            context=previous,
        )
    )


def _without(
    agents: list[DesignAgent], tasks: list[DesignTask], word: str
) -> tuple[list[DesignAgent], list[DesignTask]]:
    gone = {a.key for a in agents if word in a.key.lower() or word in a.role.lower()}
    if len(gone) == len(agents):  # a crew keeps at least one agent
        return agents, tasks
    kept_tasks = [t for t in tasks if t.agent not in gone]
    if not kept_tasks:
        return agents, tasks
    left = {t.key for t in kept_tasks}
    kept_tasks = [
        t.model_copy(update={"context": [c for c in t.context if c in left]}) for t in kept_tasks
    ]
    return [a for a in agents if a.key not in gone], kept_tasks


def _imperative(text: str) -> str:
    """ "checks sources" → "Check sources": the verb of a "who ..." clause, as an order."""
    words = text.split()
    if not words:
        return ""
    verb = words[0]
    if verb.endswith("es") and verb[:-2].endswith(("ch", "sh", "ss", "x")):
        verb = verb[:-2]
    elif verb.endswith("s") and not verb.endswith("ss"):
        verb = verb[:-1]
    return _sentence(" ".join([verb, *words[1:]]))


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] if text else text


def _slug(text: str) -> str:
    return _SLUG.sub("_", text.lower()).strip("_")[:40]


def _free(taken: set[str], stem: str) -> str:
    if stem not in taken:
        return stem
    number = 2
    while f"{stem}_{number}" in taken:
        number += 1
    return f"{stem}_{number}"
