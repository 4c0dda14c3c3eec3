"""What the strategy map page shows: a heat map drawn on the server (plain SVG) from roadmap's map,
and the map's first problem. routes/strategy.py reads the map and writes the interview through
roadmap's API.
"""

from typing import Any

# Heat-map colours from "nothing here" to "act here first" (a colour-blind-safe sequential ramp).
HEAT = ("#f1f5f9", "#fde68a", "#fbbf24", "#f97316", "#dc2626")
NO_DATA = "#ffffff"
LABEL_WIDTH, CELL_WIDTH, CELL_HEIGHT, HEADER_HEIGHT = 150, 74, 26, 44
QUESTION_HEADS = {
    "staff_time": "staff time",
    "patient_friction": "friction",
    "missed_revenue": "revenue",
    "burnout": "burnout",
}
RATING_WORDS = ("none", "low", "medium", "high")
NOT_MEASURED = "\u2013"  # an en dash in an empty cell


def _level(value: float | None, top: float) -> int | None:
    """0-4 on the colour ramp, None for no data."""
    if value is None:
        return None
    return max(0, min(4, round(value / top * 4)))


def heat_map(strategy: dict[str, Any]) -> dict[str, Any]:
    """Where to draw each cell: per area the four interview ratings, audit hours, readiness and score."""
    columns = [*QUESTION_HEADS.values(), "audit hours", "readiness", "score"]
    rows = []
    for index, area in enumerate(strategy.get("areas", [])):
        ratings = area.get("ratings", {})
        cells: list[tuple[int | None, str, str]] = []
        for question, head in QUESTION_HEADS.items():
            rating = ratings.get(question)
            word = RATING_WORDS[rating] if rating is not None else "not asked"
            cells.append((_level(rating, 3), word if rating is not None else NOT_MEASURED, f"{head}: {word}"))
        share = area.get("hours_share")
        hours = float(area.get("hours_per_week") or 0)
        cells.append(
            (_level(share, 1), f"{hours:.0f} h" if share is not None else NOT_MEASURED, f"{hours:.1f} h/week")
        )
        readiness = area.get("readiness")
        # Readiness is drawn the other way round: low readiness is what needs attention.
        cells.append(
            (
                _level(100 - readiness, 100) if readiness is not None else None,
                f"{readiness:.0f}" if readiness is not None else NOT_MEASURED,
                f"readiness {readiness:.0f}/100" if readiness is not None else "readiness unknown",
            )
        )
        score = area.get("score")
        cells.append(
            (
                _level(score, 100),
                f"{score:.0f}" if score is not None else NOT_MEASURED,
                f"score {score:.0f}/100" if score is not None else "no data yet",
            )
        )
        y = HEADER_HEIGHT + index * CELL_HEIGHT
        rows.append(
            {
                "label": area.get("label", ""),
                "area": area.get("area", ""),
                "first": area.get("area") == strategy.get("first_area"),
                "y": y,
                "text_y": y + CELL_HEIGHT / 2 + 4,
                "cells": [
                    {
                        "x": LABEL_WIDTH + column * CELL_WIDTH,
                        "text_x": LABEL_WIDTH + column * CELL_WIDTH + CELL_WIDTH / 2,
                        "fill": NO_DATA if level is None else HEAT[level],
                        "ink": "#ffffff" if level is not None and level >= 3 else "#1d2430",
                        "level": "none" if level is None else level,
                        "text": text,
                        "title": f"{area.get('label', '')}, {title}",
                    }
                    for column, (level, text, title) in enumerate(cells)
                ],
            }
        )
    return {
        "width": LABEL_WIDTH + len(columns) * CELL_WIDTH,
        "height": HEADER_HEIGHT + len(rows) * CELL_HEIGHT + 4,
        "cell_width": CELL_WIDTH,
        "cell_height": CELL_HEIGHT,
        "label_width": LABEL_WIDTH,
        "columns": [
            {"label": label, "x": LABEL_WIDTH + index * CELL_WIDTH + CELL_WIDTH / 2}
            for index, label in enumerate(columns)
        ],
        "rows": rows,
    }


def first_initiative(strategy: dict[str, Any]) -> dict[str, Any] | None:
    """The map's first problem as an initiative: the approved one, else the recommended one."""
    candidates = [item for area in strategy.get("areas", []) for item in area.get("initiatives", [])]
    return next((item for item in candidates if item.get("status") == "approved"), None) or next(
        (item for item in candidates if item.get("recommended")), None
    )
