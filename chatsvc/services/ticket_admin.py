"""What admins configure for tickets: assignment rules (in order), escalation words, SLA targets and each
site's business hours.

Shared by the admin JSON API and the admin page, so both apply the same checks: the domain's parse functions
(``Escalation.parse``, ``SlaPolicy.parse``, ``BusinessHours.parse``, ``validate_rule_fields``) decide what a
valid setting is, and this module adds what needs the database (the team, agent and site a rule names must
exist; the agent must be active staff). Every check runs before anything is written: a refusal changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from msgspec import UNSET, UnsetType

from chatsvc.domain.hours import BusinessHours
from chatsvc.domain.ids import new_id
from chatsvc.domain.model import STAFF_ROLES
from chatsvc.domain.rules import Escalation, validate_rule_fields
from chatsvc.domain.sla import SlaPolicy
from chatsvc.errors import BadRequest, Conflict, NotFound
from chatsvc.services.admin import check_topics
from chatsvc.services.clock import Clock
from chatsvc.services.tickets import TicketService
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.ticket_config import StoredRule, TicketConfigStore

if TYPE_CHECKING:
    from chatsvc.services.container import Services

MAX_RULES = 200  # every new ticket walks them in order; more is a sign of a mistake (or a loop in a script)
NO_OUTCOME = "A rule must set a team, an agent or a priority."
STALE_REFERENCE = "A team, agent or site this rule names was deleted meanwhile. Reload and try again."


@dataclasses.dataclass(frozen=True)
class SiteHours:
    """A site's business hours as the admin sees them, with where the clock stands now."""

    site: records.Site
    hours: BusinessHours | None
    open_now: bool | None  # None without hours
    next_opening: datetime.datetime | None

    def public(self) -> dict[str, Any]:
        if self.hours is None:
            return {"hours": None}
        return {
            "hours": self.hours.to_json(),
            "open_now": self.open_now,
            "next_opening": self.next_opening.isoformat() if self.next_opening else None,
        }


class TicketAdmin:
    def __init__(self, config: TicketConfigStore, accounts: AccountStore, tickets: TicketService, clock: Clock) -> None:
        self.config = config
        self.accounts = accounts
        self.tickets = tickets
        self.clock = clock

    @classmethod
    def of(cls, services: Services) -> TicketAdmin:
        return cls(services.ticket_config, services.account_store, services.tickets, services.clock)

    # --- rules ----------------------------------------------------------------------------------------

    async def list_rules(self) -> list[StoredRule]:
        return await self.config.rules()

    async def get_rule(self, rule_id: str) -> StoredRule:
        return await self.config.get_rule(rule_id)

    async def create_rule(
        self,
        *,
        name: object,
        enabled: bool = True,
        keywords: object = (),
        topic: str | None = None,
        site_id: str | None = None,
        team_id: str | None = None,
        agent_id: str | None = None,
        priority: object = None,
    ) -> StoredRule:
        values = await self._check_rule(
            name=name, enabled=enabled, keywords=keywords, topic=topic, site_id=site_id, team_id=team_id,
            agent_id=agent_id, priority=priority,
        )
        if len(await self.config.rules()) >= MAX_RULES:
            raise Conflict(f"At most {MAX_RULES} rules are allowed.")
        try:
            return await self.config.add_rule({"id": new_id(), **values}, self.clock())
        except sa.exc.IntegrityError as exc:
            raise Conflict(STALE_REFERENCE) from exc

    async def update_rule(
        self,
        rule_id: str,
        *,
        name: object | UnsetType = UNSET,
        enabled: bool | UnsetType = UNSET,
        keywords: object | UnsetType = UNSET,
        topic: str | None | UnsetType = UNSET,
        site_id: str | None | UnsetType = UNSET,
        team_id: str | None | UnsetType = UNSET,
        agent_id: str | None | UnsetType = UNSET,
        priority: object | UnsetType = UNSET,
    ) -> StoredRule:
        """Only the fields given change; the rule as it would become is checked whole."""
        current = await self.config.get_rule(rule_id)

        def given(value: Any, stored: Any) -> Any:
            return stored if value is UNSET else value

        values = await self._check_rule(
            name=given(name, current.name),
            enabled=given(enabled, current.enabled),
            keywords=given(keywords, list(current.keywords)),
            topic=given(topic, current.topic),
            site_id=given(site_id, current.site_id),
            team_id=given(team_id, current.team_id),
            agent_id=given(agent_id, current.agent_id),
            priority=given(priority, current.priority),
            unchanged=current,
        )
        try:
            return await self.config.update_rule(rule_id, values, self.clock())
        except sa.exc.IntegrityError as exc:
            raise Conflict(STALE_REFERENCE) from exc

    async def delete_rule(self, rule_id: str) -> None:
        await self.config.delete_rule(rule_id)

    async def move_rule(self, rule_id: str, position: int) -> list[StoredRule]:
        """Put the rule at ``position`` (1 = evaluated first); the others keep their order."""
        count = len(await self.config.rules())
        await self.config.get_rule(rule_id)  # 404 before a position error for a rule that does not exist
        if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= count:
            raise BadRequest(f"The position must be a whole number from 1 to {count}.")
        return await self.config.move_rule(rule_id, position)

    async def step_rule(self, rule_id: str, step: int) -> list[StoredRule]:
        """One place up (-1) or down (+1); at either end it stays where it is."""
        rules = await self.config.rules()
        index = next((i for i, rule in enumerate(rules) if rule.id == rule_id), None)
        if index is None:
            raise NotFound("No such rule.")
        target = min(max(index + step, 0), len(rules) - 1)
        return await self.config.move_rule(rule_id, target + 1)

    async def _check_rule(
        self, *, name: object, enabled: object, keywords: object, topic: object, site_id: object,
        team_id: object, agent_id: object, priority: object, unchanged: StoredRule | None = None,
    ) -> dict[str, Any]:
        clean_name, clean_keywords, clean_priority = validate_rule_fields(name, keywords, priority)
        if not isinstance(enabled, bool):
            raise BadRequest('"enabled" must be true or false.')
        if any(ord(char) < 32 for char in clean_name):
            raise BadRequest("The rule name must be on one line, without control characters.")
        clean_topic: str | None = None
        if topic is not None:
            if not isinstance(topic, str):
                raise BadRequest("The topic must be text.")
            topics = check_topics([topic])
            clean_topic = topics[0] if topics else None
        # A reference the rule already had is kept even if it would no longer be chosen (a disabled agent):
        # renaming a rule must not fail because of a field the admin did not touch.
        if site_id is not None and not (unchanged and site_id == unchanged.site_id):
            await self._site(site_id)
        if team_id is not None and not (unchanged and team_id == unchanged.team_id):
            await self._team(team_id)
        if agent_id is not None and not (unchanged and agent_id == unchanged.agent_id):
            await self._agent(agent_id)
        if team_id is None and agent_id is None and clean_priority is None:
            # It would match and stop every later rule while setting nothing.
            raise BadRequest(NO_OUTCOME)
        return {
            "name": clean_name,
            "enabled": enabled,
            "keywords": list(clean_keywords),
            "topic": clean_topic,
            "site_id": site_id,
            "team_id": team_id,
            "agent_id": agent_id,
            "priority": clean_priority.value if clean_priority else None,
        }

    async def _site(self, site_id: object) -> records.Site:
        if not isinstance(site_id, str) or not 0 < len(site_id) <= 64:
            raise BadRequest("Unknown site.")
        try:
            return await self.accounts.get_site(site_id)
        except NotFound:
            raise BadRequest(f"Unknown site: {site_id}.") from None

    async def _team(self, team_id: object) -> records.Team:
        if not isinstance(team_id, str) or not 0 < len(team_id) <= 64:
            raise BadRequest("Unknown team.")
        try:
            return await self.accounts.get_team(team_id)
        except NotFound:
            raise BadRequest(f"Unknown team: {team_id}.") from None

    async def _agent(self, agent_id: object) -> records.User:
        if not isinstance(agent_id, str) or not 0 < len(agent_id) <= 64:
            raise BadRequest("Unknown agent.")
        try:
            user = await self.accounts.get_user(agent_id)
        except NotFound:
            raise BadRequest(f"Unknown agent: {agent_id}.") from None
        if user.disabled or user.role not in {role.value for role in STAFF_ROLES}:
            raise BadRequest(f"{user.name} cannot take tickets: the account is disabled.")
        return user

    # --- settings: SLA targets and escalation words ---------------------------------------------------

    async def settings(self) -> dict[str, Any]:
        """The settings in force (the defaults until an admin saves their own)."""
        return {
            "sla": (await self.tickets.sla_policy()).to_json(),
            "escalation": (await self.tickets.escalation()).to_json(),
        }

    async def put_sla(self, value: object) -> SlaPolicy:
        policy = SlaPolicy.parse(value)
        await self.config.put_setting("sla", policy.to_json(), self.clock())
        return policy

    async def put_escalation(self, value: object) -> Escalation:
        escalation = Escalation.parse(value)
        await self.config.put_setting("escalation", escalation.to_json(), self.clock())
        return escalation

    # --- business hours -------------------------------------------------------------------------------

    async def site(self, site_id: str) -> records.Site:
        """The site, or 404 (a site in the path is the resource, not a field of a body)."""
        return await self.accounts.get_site(site_id)

    async def list_sites(self) -> list[records.Site]:
        return await self.accounts.list_sites()

    async def hours(self, site_id: str) -> SiteHours:
        site = await self.site(site_id)
        hours = await self.tickets.business_hours(site.id)
        if hours is None:
            return SiteHours(site=site, hours=None, open_now=None, next_opening=None)
        now = self.clock()
        return SiteHours(site=site, hours=hours, open_now=hours.is_open(now), next_opening=hours.next_opening(now))

    async def put_hours(self, site_id: str, *, timezone: object, weekly: object, holidays: object) -> SiteHours:
        site = await self.site(site_id)
        if not isinstance(timezone, str):
            raise BadRequest("The time zone must be a name such as Europe/Paris.")
        parsed = BusinessHours.parse(timezone.strip(), weekly, holidays)
        stored = parsed.to_json()
        try:
            await self.config.put_hours(
                site.id, parsed.timezone, stored["weekly"], stored["holidays"], self.clock()  # type: ignore[arg-type]
            )
        except sa.exc.IntegrityError as exc:
            raise NotFound("No such site.") from exc
        return await self.hours(site.id)

    async def clear_hours(self, site_id: str) -> None:
        site = await self.site(site_id)
        await self.config.clear_hours(site.id)
