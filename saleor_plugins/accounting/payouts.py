"""Payout reconciliation: a payment provider's payout booked so the bank deposit matches.

Payments are booked into the gateway's clearing account (``gateway_accounts``); the
provider then pays the balance out, less its fees. A payout is booked as

- a **transfer** of the payout's amount from the clearing account to the payout bank
  account: the deposit the bank statement shows, to the cent;
- the payout's **fees** as an expense from the clearing account to the fees account
  (money back in the rare payout whose fees were given back);

so the clearing account is left with what the provider kept for other reasons
(disputes, adjustments), which the payout snapshot names. When a payout fails or is
canceled after it was booked, the transfer is booked back (bank to clearing); its fees
stay booked (Stripe charged them with the payments, and a later payout returns only the
payout's amount). A payout that failed before it was booked has its fees booked then.

The accounting layer learns of payouts from the kernel (``payout_paid`` /
``payout_failed`` jobs, :mod:`saleor_plugins.core.payouts`), never from the payment
integration. One payout is booked once **per organisation**: channels that share a
provider account and an accounting organisation all get the job; the first claims the
payout in the ledger under the organisation (``ledger.claim``), the others report who
books it. Every document is in the ledger under the organisation too, and each write
carries an idempotency key derived from the organisation and the document, so a replayed
webhook, a retried job or a lost answer books nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..core import ledger, payouts
from ..core import snapshots as s
from ..core.events import EventType
from ..core.integration import Integration, JobContext, Outcome
from ..core.settings import ChannelSettings

PAYOUT_EVENTS = frozenset({EventType.PAYOUT_PAID, EventType.PAYOUT_FAILED})
#: the ledger's word for payout documents (object ids ``<payout key>:<part>``)
LEDGER = "payout"
TRANSFER, FEES, RETURNED, FAILED = "transfer", "fees", "returned", "failed"


@dataclass(frozen=True, slots=True)
class Transfer:
    """Money moved between two of the merchant's accounts, in ``currency``."""

    source_id: str  # our key: "<payout key>:transfer" (or ":returned")
    reference: str  # shown to the merchant: "Stripe payout po_..."
    currency: str
    on: date
    amount: Decimal  # positive
    gateway: str  # the clearing account's mapping key (the payment gateway id)
    returned: bool = False  # the payout came back: from the bank to the clearing account


@dataclass(frozen=True, slots=True)
class Fees:
    """The provider's fees for a payout's transactions, paid from the clearing account."""

    source_id: str  # our key: "<payout key>:fees"
    reference: str
    currency: str
    on: date
    amount: Decimal  # positive: charged (an expense); negative: given back
    gateway: str
    payee: str  # who was paid: "Stripe"


def documents(payout: s.Payout) -> tuple[Transfer, Fees]:
    """The transfer and the fees a payout books (the transfer's reverse: ``returned``)."""
    name = payout.provider.capitalize()
    reference = f"{name} payout {payout.id}"
    transfer = Transfer(
        f"{payout.key}:{TRANSFER}",
        reference,
        payout.currency,
        payout.arrival_date,
        payout.amount,
        payout.gateway,
    )
    fees = Fees(
        f"{payout.key}:{FEES}",
        f"{name} fees, payout {payout.id}",
        payout.currency,
        payout.arrival_date,
        payout.fees,
        payout.gateway,
        name,
    )
    return transfer, fees


class PayoutBooking[S: ChannelSettings](Integration[S]):
    """Payout handlers every accounting integration has (the layer's base extends it).

    The ledger scope of a payout is :meth:`account_key`: the organisation.
    """

    # -- what a provider writes ----------------------------------------------------------------
    def books_payouts(self) -> bool:
        """True when the channel's settings name the account payouts go to."""
        raise NotImplementedError

    def book_transfer(self, transfer: Transfer) -> str:
        """Write the transfer (with the provider's idempotency key); the provider's id.

        Only the channel that claimed the payout writes it, so the channel's keys are
        enough to make a retried write a replay.
        """
        raise NotImplementedError

    def book_fees(self, fees: Fees) -> str:
        """Write the fees (with the provider's idempotency key); the provider's id."""
        raise NotImplementedError

    # -- events ----------------------------------------------------------------------------------
    def on_payout_paid(self, job: JobContext) -> Outcome:
        return self._payout(payouts.read(job), paid=True)

    def on_payout_failed(self, job: JobContext) -> Outcome:
        return self._payout(payouts.read(job), paid=False)

    def _payout(self, payout: s.Payout, *, paid: bool) -> Outcome:
        if not self.books_payouts():
            return Outcome(detail="payouts are not booked in this channel (no payout account)")
        scope = self.account_key()  # the organisation: one booking for all its channels
        owner = ledger.claim(self.id, scope, LEDGER, payout.key, self.channel)
        if owner != self.channel:
            return Outcome(detail=f"payout {payout.id} is booked by channel {owner}")
        ids = {f"{payout.key}:{part}": part for part in (TRANSFER, FEES, RETURNED, FAILED)}
        held = {ids[k]: v for k, v in ledger.held(self.id, scope, LEDGER, list(ids)).items()}
        transfer, fees = documents(payout)
        done: list[str] = []
        if not paid and FAILED not in held:  # a late payout.paid books no transfer then
            self._hold(scope, f"{payout.key}:{FAILED}", "", payout.amount)
        if paid and TRANSFER not in held and FAILED not in held and payout.amount > 0:
            self._hold(scope, transfer.source_id, self.book_transfer(transfer), payout.amount)
            done.append(f"transfer {payout.amount} {payout.currency} to the bank")
        if not paid and TRANSFER in held and RETURNED not in held:
            back = Transfer(
                f"{payout.key}:{RETURNED}",
                f"{transfer.reference} {payout.status}",
                transfer.currency,
                transfer.on,
                transfer.amount,
                transfer.gateway,
                returned=True,
            )
            self._hold(scope, back.source_id, self.book_transfer(back), payout.amount)
            done.append(f"transfer {payout.amount} {payout.currency} back from the bank")
        if FEES not in held and payout.fees:
            self._hold(scope, fees.source_id, self.book_fees(fees), payout.fees)
            done.append(f"fees {payout.fees} {payout.currency}")
        return Outcome(detail=_detail(payout, done), provider_ids={"payout": payout.id})

    def _hold(self, scope: str, source_id: str, provider_id: str, amount: Decimal) -> None:
        ledger.hold(self.id, scope, LEDGER, {source_id: provider_id}, amounts={source_id: amount})


def _detail(payout: s.Payout, done: list[str]) -> str:
    text = f"payout {payout.id} {payout.status}: " + ("; ".join(done) or "nothing new to book")
    if not payout.itemised:
        text += " (not itemised by the provider: fees not booked)"
    elif payout.other:
        text += f"; {payout.other} {payout.currency} of other movements stay in clearing"
    return text
