"""On demand or in batch: at volume, the teacher is the run's biggest cost.

Bedrock batch inference answers the same requests at half the on-demand price, within hours
instead of seconds. Above a configurable number of documents (``[teacher] batch_above``),
``curator annotate`` stops before sending anything and shows both prices; ``--delivery auto``
takes the batch, ``--delivery on-demand`` insists on the fast path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from curator.access import Actor
from curator.teach.annotate import annotate
from curator.teach.base import Price
from curator.workspace import Workspace


@dataclass
class Delivery:
    documents: int  # still to ask (answers paid for earlier are not counted)
    above: int
    on_demand_usd: float | None
    batch_usd: float | None
    model: str

    @property
    def batch_is_cheaper(self) -> bool:
        return self.documents >= self.above

    def message(self) -> str:
        def usd(value: float | None) -> str:
            return f"${value:,.2f}" if value is not None else "an unknown price (pass --price IN,OUT)"

        return (f"{self.documents:,} documents to ask {self.model} (at least {self.above:,}: [teacher] batch_above). "
                f"On demand: about {usd(self.on_demand_usd)}; Bedrock batch inference: about {usd(self.batch_usd)}, "
                "half the price, answers within hours.")

    def to_dict(self) -> dict:
        return {**asdict(self), "batch_is_cheaper": self.batch_is_cheaper}


class EstimateOnly:
    """A teacher that is never asked: annotate's estimate only plans and counts."""

    def __init__(self, model: str) -> None:
        self.model = model

    def extract(self, *args, **kwargs):  # pragma: no cover - estimate_only never asks
        raise RuntimeError("an estimate sends nothing")


def choose_delivery(workspace: Workspace, model: str, *, schema_name: str, mode: str, price: Price | None,
                    above: int, actor: Actor | str) -> Delivery:
    """How many documents a run would ask, and what on demand and batch would cost (sends nothing)."""
    from curator.teach.batch import batch_price

    estimate = annotate(workspace, EstimateOnly(model), actor=actor, schema_name=schema_name, mode=mode, price=price,
                        estimate_only=True).estimate
    on_demand = estimate["usd"] if price else None
    batch = round(batch_price(price).cost(estimate["input_tokens"], estimate["output_tokens"]), 4) if price else None
    return Delivery(estimate["documents"], above, on_demand, batch, model)
