"""Base models, their allowed hyperparameter ranges, and what the seeds recommend for a dataset size.

Guidance from the AWS fine-tuning posts (see ``shared/reference/bedrock.md``): epochs 7-10
under 500 examples, 5 up to 5,000, 3-4 above; learning rate 5e-6..1e-5 for small data,
1e-5..5e-5 for large, 1e-5 by default; Nova warm-up about dataset size / 160. Every value is
clamped to the model's allowed range, and a flag overrides any of them (clamped too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BaseModel:
    key: str
    model_id: str
    family: str  # nova | llama
    export_format: str
    validation_target: str
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    accepts_validation_set: bool = True
    # Training price, US dollars per 1,000 tokens (x epochs); storage per month.
    train_per_1k_tokens: float = 0.002
    storage_per_month: float = 1.95


NOVA_RANGES = {"epochCount": (1, 5), "learningRate": (1e-6, 1e-4), "learningRateWarmupSteps": (0, 100),
               "batchSize": (1, 1)}
LLAMA_RANGES = {"epochCount": (1, 10), "learningRate": (5e-6, 0.1), "batchSize": (1, 1)}

BASE_MODELS: dict[str, BaseModel] = {
    "nova-lite": BaseModel("nova-lite", "amazon.nova-lite-v1:0:300k", "nova", "bedrock-nova", "bedrock-nova",
                           NOVA_RANGES),
    "nova-pro": BaseModel("nova-pro", "amazon.nova-pro-v1:0:300k", "nova", "bedrock-nova", "bedrock-nova",
                          NOVA_RANGES, train_per_1k_tokens=0.008),
    "nova-2-lite": BaseModel("nova-2-lite", "amazon.nova-2-lite-v1:0:256k", "nova", "bedrock-nova",
                             "bedrock-nova2", NOVA_RANGES, accepts_validation_set=False),
    "llama32-11b": BaseModel("llama32-11b", "meta.llama3-2-11b-instruct-v1:0:128k", "llama", "bedrock-llama32",
                             "bedrock-llama32", LLAMA_RANGES, train_per_1k_tokens=0.00359),
    "llama32-90b": BaseModel("llama32-90b", "meta.llama3-2-90b-instruct-v1:0:128k", "llama", "bedrock-llama32",
                             "bedrock-llama32", LLAMA_RANGES, train_per_1k_tokens=0.01),
}
# Distillation teachers (Nova Premier teaches only; Pro can teach and learn).
TEACHERS = {"nova-premier": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-premier-v1:0",
            "nova-pro": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"}


def base_model(key: str) -> BaseModel:
    try:
        return BASE_MODELS[key]
    except KeyError:
        raise ValueError(f"base model must be one of {', '.join(BASE_MODELS)}, got {key!r}") from None


def _clamp(model: BaseModel, name: str, value: float) -> float:
    low, high = model.ranges.get(name, (value, value))
    return min(max(value, low), high)


def recommend(model: BaseModel, records: int, overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """Hyperparameters for ``records`` training examples, as the strings Bedrock takes."""
    if records < 500:
        epochs, rate = 8, 1e-5
    elif records <= 5000:
        epochs, rate = 5, 1e-5
    else:
        epochs, rate = 3, 2e-5
    params: dict[str, float] = {"epochCount": epochs, "learningRate": rate, "batchSize": 1}
    if model.family == "nova":
        params["learningRateWarmupSteps"] = round(records / 160)
    for name, value in (overrides or {}).items():
        if name not in model.ranges:
            raise ValueError(f"{model.key} has no hyperparameter {name!r}; it takes {', '.join(model.ranges)}")
        params[name] = float(value)
    out = {}
    for name, value in params.items():
        clamped = _clamp(model, name, value)
        out[name] = str(int(clamped)) if name != "learningRate" else f"{clamped:g}"
    return out


def training_cost(model: BaseModel, tokens_per_epoch: int, hyperparameters: dict[str, str]) -> float:
    """Training tokens x epochs x the model's price (storage is billed monthly on top)."""
    return tokens_per_epoch / 1000 * int(hyperparameters.get("epochCount", "1")) * model.train_per_1k_tokens
