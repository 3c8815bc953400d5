"""Teacher models that pre-annotate what the ERP lacks and cross-check what it has."""


def open_teacher(spec: str):
    """A teacher from its spec: ``bedrock:<model id>`` (Bedrock Converse) or
    ``openai:<base url>#<model>`` (any OpenAI-compatible server; key from $OPENAI_API_KEY).

    >>> open_teacher("bedrock:us.amazon.nova-premier-v1:0").model
    'us.amazon.nova-premier-v1:0'
    """
    import os

    kind, _, rest = spec.partition(":")
    if kind == "bedrock" and rest:
        from curator.teach.bedrock import BedrockConverseTeacher

        return BedrockConverseTeacher(model=rest)
    if kind == "openai" and "#" in rest:
        from curator.teach.openai_compat import OpenAICompatibleTeacher

        url, _, model = rest.rpartition("#")
        return OpenAICompatibleTeacher(url, model, api_key=os.environ.get("OPENAI_API_KEY"))
    raise ValueError(f"teacher must be bedrock:<model>, bedrock-batch:<model> or openai:<url>#<model>, got {spec!r}")
