"""Message templates mined from exception summaries, in the manner of Drain.

Drain (He, Zhu, Zheng and Lyu, "Drain: An Online Log Parsing Approach with
Fixed Depth Tree", ICWS 2017) groups log messages into templates online: a
message is first masked (its variable parts replaced by a wildcard), then
routed through a tree of fixed depth, by its token count and its leading
tokens, to a leaf holding a few clusters; it joins the most similar cluster
when the share of equal tokens reaches a threshold (the differing positions of
the template become wildcards), else it starts a cluster of its own.

Here the messages are exception summaries, so "an unmapped code 'LBR' from
MES-01" and "an unmapped code 'KGM' from WMS-01" share one template while a
schema error does not join them. This module knows nothing of Odoo: the
exception app stores the templates and feeds the summaries.
"""

import re
from dataclasses import dataclass, field

WILDCARD = "<*>"

# Masks applied to the whole message, in order: each finds a variable part
# that may contain spaces or punctuation of its own.
_MASKS = [
    # uuids before hex and numbers take them apart
    re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),  # e-mail addresses
    re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+"),  # URLs and other URIs
    # quoted values; a quote inside a word ("Odoo's") opens nothing
    re.compile(r"(?<![\w'])'[^'\n]*'(?![\w'])"),
    re.compile(r"(?<![\w\"])\"[^\"\n]*\"(?![\w\"])"),
    re.compile(r"(?<![\w`])`[^`\n]*`(?![\w`])"),
    re.compile(r"\b0[xX][0-9a-fA-F]+\b"),  # hex literals
]
# Tokens that are variable by themselves: anything with a digit is a number,
# an id, a code (MES-01, FG-999), a reference (WH/MO/00012), a hash, a version.
_DIGIT = re.compile(r"\d")
# Punctuation kept around a masked token, so that "HTTP 503." reads "HTTP <*>."
_TOKEN = re.compile(r"^([(\[{]*)(.*?)([)\]},.;:!?]*)$")
_SPACE = re.compile(r"\s+")


def mask(message):
    """The message with its variable parts replaced by ``<*>``.

    >>> mask("MES-01 sent uom code 'LBR' for WH/MO/00012 (3 items).")
    '<*> sent uom code <*> for <*> (<*> items).'
    """
    text = _SPACE.sub(" ", message or "").strip()
    for pattern in _MASKS:
        text = pattern.sub(WILDCARD, text)
    return " ".join(_mask_token(token) for token in text.split(" ") if token)


def _mask_token(token):
    if token == WILDCARD or not _DIGIT.search(token):
        return token
    opening, core, closing = _TOKEN.match(token).groups()
    if WILDCARD in core:
        # a masked part glued to a literal one (<*>-10, <*>/42): the whole is variable
        core = WILDCARD
    return f"{opening}{WILDCARD if _DIGIT.search(core) or core == WILDCARD else core}{closing}"


def tokenize(message):
    """The masked tokens of a message (at most ``MAX_TOKENS`` of them)."""
    return mask(message).split(" ")[:MAX_TOKENS] if message and message.strip() else []


MAX_TOKENS = 80


@dataclass
class Cluster:
    """One template and the messages that joined it."""

    tokens: list
    size: int = 0
    key: object = None  # what the caller knows the template by (e.g. a record id)
    members: list = field(default_factory=list)

    @property
    def template(self):
        return " ".join(self.tokens)


class TemplateMiner:
    """A Drain parse tree: token count, then the leading tokens, then clusters.

    :param depth: the tree's depth as in the paper; ``depth - 2`` leading
        tokens route a message (the root and the token-count level are the
        other two)
    :param similarity: the share of a template's literal tokens a message must
        equal to join it (0 to 1)
    :param max_children: branches per node before further leading tokens
        share a wildcard branch, so that a variable first word cannot grow
        the tree without bound
    """

    def __init__(self, depth=4, similarity=0.5, max_children=100):
        if depth < 3:
            raise ValueError("The tree needs a depth of 3 at least (root, length, leaf).")
        if not 0 < similarity <= 1:
            raise ValueError("The similarity threshold is a share between 0 (excluded) and 1.")
        if max_children < 2:
            raise ValueError("A node needs room for 2 children at least.")
        self.depth = depth
        self.similarity = similarity
        self.max_children = max_children
        self._root = {}
        self.clusters = []

    # ------------------------------------------------------------------
    def add(self, message, member=None):
        """Mine one message: the cluster it joined or started, and whether
        that cluster's template changed (``"created"``, ``"changed"`` or
        ``None``)."""
        tokens = tokenize(message)
        if not tokens:
            raise ValueError("An empty message has no template.")
        cluster = self._match(tokens)
        if cluster is None:
            cluster = Cluster(tokens=list(tokens))
            self._insert(cluster)
            change = "created"
        else:
            merged = [
                old if old == new else WILDCARD
                for old, new in zip(cluster.tokens, tokens, strict=True)
            ]
            change = "changed" if merged != cluster.tokens else None
            cluster.tokens = merged
        cluster.size += 1
        if member is not None:
            cluster.members.append(member)
        return cluster, change

    def load(self, template, key=None, size=0):
        """Put back a template mined before (e.g. read from the database)."""
        tokens = template.split(" ")
        cluster = Cluster(tokens=tokens, size=size, key=key)
        self._insert(cluster)
        return cluster

    def match(self, message):
        """The cluster a message would join, without changing anything."""
        tokens = tokenize(message)
        return self._match(tokens) if tokens else None

    # ------------------------------------------------------------------
    def _leading(self, tokens):
        return tokens[: max(self.depth - 2, 0)]

    def _leaf(self, tokens, create):
        node = self._root.setdefault(len(tokens), {}) if create else self._root.get(len(tokens))
        if node is None:
            return None
        for token in self._leading(tokens):
            if token in node:
                node = node[token]
                continue
            if not create:
                node = node.get(WILDCARD)
                if node is None:
                    return None
                continue
            if token != WILDCARD and len(node) < self.max_children - (WILDCARD not in node):
                node = node.setdefault(token, {})
            else:
                node = node.setdefault(WILDCARD, {})
        return node

    def _insert(self, cluster):
        leaf = self._leaf(cluster.tokens, create=True)
        leaf.setdefault(None, []).append(cluster)
        self.clusters.append(cluster)

    def _match(self, tokens):
        leaf = self._leaf(tokens, create=False)
        if leaf is None:
            return None
        best, best_score = None, None
        for cluster in leaf.get(None, ()):
            similar, wildcards = _similarity(cluster.tokens, tokens)
            score = (similar, wildcards)
            if similar >= self.similarity and (best_score is None or score > best_score):
                best, best_score = cluster, score
        return best


def _similarity(template, tokens):
    """Drain's sequence similarity: the share of positions where the message
    has the template's literal token; a wildcard counts as no match, so a
    message of wildcards joins nothing by them. Ties go to the template with
    more wildcards (the more general one)."""
    equal = wildcards = 0
    for expected, token in zip(template, tokens, strict=True):
        if expected == WILDCARD:
            wildcards += 1
        elif expected == token:
            equal += 1
    literal = len(template) - wildcards
    if not literal:
        # all wildcards: only a message of the same shape (all masked) matches
        return (1.0 if all(token == WILDCARD for token in tokens) else 0.0), wildcards
    return equal / len(template), wildcards
