"""The demo data set's pictures: one animation per visual family, and the backdrop behind them.

One job: `render_pictures` turns a visual family, the seconds in which it is shown and a
random generator into the clip's RGB frames (DEMO_WIDTH x DEMO_HEIGHT at DEMO_FPS). Each
family has its own shape and hue range (spinning wheel, diagonal stripes, checkerboard, star
burst); every parameter is jittered. Which class uses which family is decided in demo_data.
"""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

from .encode import frame_count

DEMO_FPS = 10
DEMO_WIDTH, DEMO_HEIGHT = 320, 240
VISUAL_FAMILIES = ("spinning wheel", "diagonal stripes", "checkerboard", "star burst")

_XS, _YS = np.meshgrid(
    np.arange(DEMO_WIDTH, dtype=np.float32), np.arange(DEMO_HEIGHT, dtype=np.float32)
)
_BLOB_SCALE = 4  # blobs are drawn at quarter size, then smoothly enlarged
_LOW_XS, _LOW_YS = _XS[::_BLOB_SCALE, ::_BLOB_SCALE], _YS[::_BLOB_SCALE, ::_BLOB_SCALE]

# Each visual family keeps to its own hue range (degrees), so colour and shape both tell it apart.
_FAMILY_HUES = {
    "spinning wheel": (-15, 45),
    "diagonal stripes": (190, 235),
    "checkerboard": (75, 140),
    "star burst": (275, 330),
}


def _colour(rng, hues=(0, 360), saturation=(0.6, 1.0), value=(0.65, 1.0)) -> np.ndarray:
    hue = (rng.uniform(*hues) / 360) % 1.0
    rgb = colorsys.hsv_to_rgb(hue, rng.uniform(*saturation), rng.uniform(*value))
    return np.array(rgb, dtype=np.float32) * 255


def _contrast_colour(rng) -> np.ndarray:
    """The second colour of a pattern: near-white or near-black, either way strong contrast."""
    value = (0.85, 1.0) if rng.random() < 0.5 else (0.05, 0.25)
    return _colour(rng, saturation=(0.0, 0.15), value=value)


def _bounce(start, velocity, low, high, t) -> np.ndarray:
    """Position at time t of a point moving at `velocity` and bouncing between low and high."""
    span = np.maximum(np.asarray(high, dtype=float) - low, 1e-6)
    folded = (np.asarray(start, dtype=float) - low + np.asarray(velocity) * t) % (2 * span)
    return low + span - np.abs(folded - span)


def _backdrop(rng):
    """Background pictures: a smooth noisy gradient with slowly drifting soft blobs."""
    ends = [_colour(rng, saturation=(0.05, 0.45), value=(0.25, 0.8)) for _ in range(2)]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = _XS * float(np.cos(angle)) + _YS * float(np.sin(angle))
    ramp = ((ramp - ramp.min()) / (float(np.ptp(ramp)) + 1e-6))[..., None]
    rows, cols = int(rng.integers(3, 7)), int(rng.integers(4, 9))
    mottle = cv2.resize(
        rng.normal(0, rng.uniform(6, 20), (rows, cols, 3)).astype(np.float32),
        (DEMO_WIDTH, DEMO_HEIGHT),
        interpolation=cv2.INTER_CUBIC,
    )
    grain = rng.normal(0, rng.uniform(1.5, 5), (DEMO_HEIGHT, DEMO_WIDTH, 1)).astype(np.float32)
    base = (ends[0] * (1 - ramp) + ends[1] * ramp + mottle + grain).astype(np.float32)
    blobs = [
        (
            rng.uniform([0, 0], [DEMO_WIDTH, DEMO_HEIGHT]),
            rng.normal(0, 8, 2),
            rng.uniform(25, 70),
            rng.normal(0, 1, 3).astype(np.float32) * rng.uniform(15, 40),
        )
        for _ in range(int(rng.integers(2, 5)))
    ]

    def draw(t: float) -> np.ndarray:
        low = np.zeros(_LOW_XS.shape + (3,), np.float32)
        for start, velocity, size, tint in blobs:
            x, y = _bounce(start, velocity, 0, [DEMO_WIDTH, DEMO_HEIGHT], t)
            distance = (_LOW_XS - float(x)) ** 2 + (_LOW_YS - float(y)) ** 2
            weight = np.exp(-distance / (2 * size**2))
            low += weight[..., None] * tint
        return base + cv2.resize(low, (DEMO_WIDTH, DEMO_HEIGHT), interpolation=cv2.INTER_LINEAR)

    return draw


def _region(rng) -> np.ndarray:
    """Where a texture shows: a large rectangle (55-100% of each side), slightly see-through."""
    width, height = rng.uniform(0.55, 1.0) * DEMO_WIDTH, rng.uniform(0.55, 1.0) * DEMO_HEIGHT
    left, top = rng.uniform(0, DEMO_WIDTH - width), rng.uniform(0, DEMO_HEIGHT - height)
    inside = (_XS >= left) & (_XS < left + width) & (_YS >= top) & (_YS < top + height)
    return inside.astype(np.float32) * rng.uniform(0.8, 1.0)


def _sliding(texture: np.ndarray, margin: int, shift):
    """Frames cut from a periodic texture pre-drawn with `margin` spare pixels on every side;
    `shift(t)` is the (dx, dy) slide in pixels, already reduced to within one period."""

    def crop(t: float) -> np.ndarray:
        dx, dy = shift(t)
        left, top = int(round(margin - dx)), int(round(margin - dy))
        return texture[top : top + DEMO_HEIGHT, left : left + DEMO_WIDTH]

    return crop


def _texture_grid(margin: int):
    ys, xs = np.mgrid[-margin : DEMO_HEIGHT + margin, -margin : DEMO_WIDTH + margin]
    return xs.astype(np.float32), ys.astype(np.float32)


def _diagonal_stripes(rng):
    """Broad diagonal stripes sliding across a large rectangle."""
    angle = float(np.deg2rad(rng.choice([-1, 1]) * rng.uniform(25, 65)))
    period, duty = rng.uniform(18, 44), rng.uniform(0.35, 0.6)
    speed = float(rng.choice([-1, 1]) * rng.uniform(10, 40))
    ink, paper = _colour(rng, _FAMILY_HUES["diagonal stripes"]), _contrast_colour(rng)
    cos, sin = float(np.cos(angle)), float(np.sin(angle))
    margin = int(np.ceil(period)) + 1
    xs, ys = _texture_grid(margin)
    texture = np.where((((xs * cos + ys * sin) % period) < duty * period)[..., None], ink, paper)
    alpha = _region(rng)

    def shift(t: float):
        slide = (speed * t) % period
        return slide * cos, slide * sin

    crop = _sliding(texture, margin, shift)
    return lambda t: (crop(t), alpha)


def _checkerboard(rng):
    """A slightly tilted checkerboard scrolling inside a large rectangle."""
    angle = float(np.deg2rad(rng.uniform(-20, 20)))
    size, velocity = rng.uniform(16, 40), rng.uniform(-25, 25, 2).tolist()
    ink, paper = _colour(rng, _FAMILY_HUES["checkerboard"]), _contrast_colour(rng)
    cos, sin = float(np.cos(angle)), float(np.sin(angle))
    period = 2 * size  # the pattern repeats after two cells along either axis
    margin = int(np.ceil(period * np.sqrt(2))) + 1
    xs, ys = _texture_grid(margin)
    cells = np.floor((xs * cos + ys * sin) / size) + np.floor((ys * cos - xs * sin) / size)
    texture = np.where((cells % 2 == 0)[..., None], ink, paper)
    alpha = _region(rng)

    def shift(t: float):
        along, across = (velocity[0] * t) % period, (velocity[1] * t) % period
        return along * cos - across * sin, along * sin + across * cos

    crop = _sliding(texture, margin, shift)
    return lambda t: (crop(t), alpha)


def _mover(rng, radius: float):
    """where(t): the centre of an object of `radius` drifting (5-30 px/s) inside the frame."""
    low, high = np.array([radius, radius]), np.array([DEMO_WIDTH - radius, DEMO_HEIGHT - radius])
    start = rng.uniform(low, high)
    heading = rng.uniform(0, 2 * np.pi)
    velocity = rng.uniform(5, 30) * np.array([np.cos(heading), np.sin(heading)])
    return lambda t: _bounce(start, velocity, low, high, t)


def _spinning_wheel(rng):
    """A large disc of alternating coloured sectors, turning while it drifts."""
    radius = int(rng.uniform(0.28, 0.45) * DEMO_HEIGHT)
    sectors = 2 * int(rng.integers(3, 7))
    spin = rng.choice([-1, 1]) * rng.uniform(0.3, 1.5) * 360
    colours = [
        tuple(map(float, _colour(rng, _FAMILY_HUES["spinning wheel"]))),
        tuple(map(float, _contrast_colour(rng))),
    ]
    rim = tuple(map(float, _colour(rng, saturation=(0, 0.3), value=(0.0, 0.3))))
    where = _mover(rng, radius)

    def draw(t: float):
        layer = np.zeros((DEMO_HEIGHT, DEMO_WIDTH, 3), np.uint8)
        mask = np.zeros((DEMO_HEIGHT, DEMO_WIDTH), np.uint8)
        centre = tuple(int(v) for v in where(t))
        step = 360 / sectors
        for k in range(sectors):
            cv2.ellipse(
                layer,
                centre,
                (radius, radius),
                spin * t + k * step,
                0,
                step,
                colours[k % 2],
                -1,
                cv2.LINE_AA,
            )
        cv2.circle(layer, centre, radius, rim, max(2, radius // 12), cv2.LINE_AA)
        cv2.circle(layer, centre, max(3, radius // 6), rim, -1, cv2.LINE_AA)
        cv2.circle(mask, centre, radius, 255, -1, cv2.LINE_AA)
        return layer.astype(np.float32), mask.astype(np.float32) / 255

    return draw


def _star_points(centre, outer: float, inner: float, points: int, turn: float) -> np.ndarray:
    angles = np.deg2rad(turn) + np.arange(2 * points) * np.pi / points
    radii = np.where(np.arange(2 * points) % 2 == 0, outer, inner)
    return (
        np.stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)], axis=1)
        .round()
        .astype(np.int32)
    )


def _star_burst(rng):
    """One or two large pointed stars with a bright core, turning while they drift."""
    stars = []
    for size in ([0.3, 0.45], [0.15, 0.25])[: 1 + int(rng.random() < 0.3)]:
        outer = rng.uniform(*size) * DEMO_HEIGHT
        stars.append(
            (
                outer,
                rng.uniform(0.35, 0.55),
                int(rng.integers(5, 9)),
                rng.uniform(-0.5, 0.5) * 360,
                _mover(rng, outer),
            )
        )
    body = tuple(map(float, _colour(rng, _FAMILY_HUES["star burst"])))
    core = tuple(map(float, _colour(rng, (40, 70), (0.0, 0.5), (0.9, 1.0))))

    def draw(t: float):
        layer = np.zeros((DEMO_HEIGHT, DEMO_WIDTH, 3), np.uint8)
        mask = np.zeros((DEMO_HEIGHT, DEMO_WIDTH), np.uint8)
        # Bodies first, then hearts, so overlapping stars stay clean shapes.
        for scale, colour, target in ((1.0, body, layer), (0.45, core, layer), (1.0, 255, mask)):
            for outer, ratio, points, spin, where in stars:
                radius = scale * outer
                shape = _star_points(where(t), radius, ratio * radius, points, spin * t)
                cv2.fillPoly(target, [shape], colour, cv2.LINE_AA)
        return layer.astype(np.float32), mask.astype(np.float32) / 255

    return draw


PICTURE_RENDERERS = {
    "spinning wheel": _spinning_wheel,
    "diagonal stripes": _diagonal_stripes,
    "checkerboard": _checkerboard,
    "star burst": _star_burst,
}


def render_pictures(family: str, shown, duration: float, rng):
    """The clip's RGB frames (a generator): the backdrop, with `family`'s picture over it in
    the seconds where `shown` (one bool per second) is True."""
    backdrop = _backdrop(rng)
    picture = PICTURE_RENDERERS[family](rng)
    showing = np.asarray(shown)

    def frames():
        for i in range(frame_count(duration, DEMO_FPS)):
            frame = backdrop(i / DEMO_FPS)
            if showing[i // DEMO_FPS]:
                layer, alpha = picture(i / DEMO_FPS)
                frame += (layer - frame) * alpha[..., None]
            yield np.clip(frame, 0, 255).astype(np.uint8)

    return frames()
