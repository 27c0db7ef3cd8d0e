"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from advisor.service import Advisor


def get_advisor(request: Request) -> Advisor:
    advisor: Advisor = request.app.state.advisor
    return advisor


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


AdvisorDep = Annotated[Advisor, Depends(get_advisor)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
