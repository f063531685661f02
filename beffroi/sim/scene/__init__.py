"""Synthetic camera scenes with ground truth: a pinhole camera over a paved ground, people walking, running,
falling, dropping things and crowding by script, rendered with OpenCV, written as H.264 clips with their truth
(JSON) and their camera (CAMERA.toml). Independent of beffroi.video: it is what the video analytics are tested on."""

from beffroi.sim.scene.backdrop import Lighting, Surroundings
from beffroi.sim.scene.camera import PinholeCamera
from beffroi.sim.scene.clip import Clip, scene_summary, toml_text, write_clip
from beffroi.sim.scene.drawing import Fixture
from beffroi.sim.scene.motion import Look, Person, Prop, Route, random_person
from beffroi.sim.scene.places import GroundLine, GroundZone, rectangle
from beffroi.sim.scene.scene import Scene, SceneFrame, SceneParts
from beffroi.sim.scene.scripts import SCENES, concourse_scene, gate_scene, incidents_scene, plaza_scene
from beffroi.sim.scene.truth import (
    EventType,
    FrameTruth,
    LineCrossing,
    ObjectTruth,
    PersonTruth,
    SceneEvent,
)

__all__ = [
    "SCENES",
    "Clip",
    "EventType",
    "Fixture",
    "FrameTruth",
    "GroundLine",
    "GroundZone",
    "Lighting",
    "LineCrossing",
    "Look",
    "ObjectTruth",
    "Person",
    "PersonTruth",
    "PinholeCamera",
    "Prop",
    "Route",
    "Scene",
    "SceneEvent",
    "SceneFrame",
    "SceneParts",
    "Surroundings",
    "concourse_scene",
    "gate_scene",
    "incidents_scene",
    "plaza_scene",
    "random_person",
    "rectangle",
    "scene_summary",
    "toml_text",
    "write_clip",
]
