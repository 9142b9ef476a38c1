"""A small picture of a site's widget for the admin page: its header and launcher in the site's colours.

Drawn as an SVG ``data:`` image because the pages' Content-Security-Policy allows no inline style, and a
colour chosen by an admin cannot be a class of our stylesheet. Only validated ``#rrggbb`` values and fixed
shapes go into it: no text anyone typed.
"""

from __future__ import annotations

from urllib.parse import quote

from chatsvc.domain.widget import WidgetSettings

WIDTH = 240
HEIGHT = 150


def preview_data_uri(settings: WidgetSettings) -> str:
    color, text = settings.color, settings.text_color
    launcher_x = WIDTH - 30 if settings.position == "right" else 30
    panel_x = WIDTH - 178 if settings.position == "right" else 8
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<rect x="{panel_x}" y="6" width="170" height="92" rx="10" fill="#ffffff" stroke="#d0d7de"/>'
        f'<path d="M{panel_x} 16a10 10 0 0 1 10-10h150a10 10 0 0 1 10 10v18h-170z" fill="{color}"/>'
        f'<text x="{panel_x + 14}" y="26" font-family="system-ui,sans-serif" font-size="12" font-weight="600"'
        f' fill="{text}">Aa</text>'
        f'<rect x="{panel_x + 12}" y="46" width="96" height="14" rx="7" fill="#eef1f4"/>'
        f'<rect x="{panel_x + 62}" y="68" width="96" height="14" rx="7" fill="{color}"/>'
        f'<circle cx="{launcher_x}" cy="{HEIGHT - 26}" r="20" fill="{color}"/>'
        f'<path d="M{launcher_x - 9} {HEIGHT - 34}h18a3 3 0 0 1 3 3v10a3 3 0 0 1-3 3h-10l-6 5v-5h-2a3 3 0 0 1-3-3'
        f'v-10a3 3 0 0 1 3-3z" fill="{text}"/>'
        "</svg>"
    )
    return "data:image/svg+xml," + quote(svg, safe=" =:/,.-'\"")
