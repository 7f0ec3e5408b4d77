"""chainrule's nn: neurons, layers and MLPs of Values, with losses, optimizers and training.

    import nn
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    X, y = nn.data.moons(200, noise=0.1, seed=0)
    history = nn.fit(model, X, y, loss="hinge",
                     optimizer=nn.optim.SGD(model.parameters(), lr=0.05), epochs=100)
"""

from pathlib import Path

from ._engine import require_chainrule_autograd

require_chainrule_autograd()  # before autograd's names: HIPS autograd has the same import name

from autograd import skip_frames_from

from . import data, init, losses, optim, schedulers
from .module import ACTIVATIONS, MLP, Dropout, Layer, Module, Neuron
from .network_drawing import draw_network, render_network
from .pytorch import from_torch, to_torch
from .saving import load, load_training_state, save
from .trace import EquationError, LayerTrace, Trace, trace
from .train import accuracy, classify, decision_threshold, evaluate, fit, predict

skip_frames_from(Path(__file__).parent)  # detect_anomaly() names the user's line, not nn's

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "Dropout",
    "EquationError",
    "Layer",
    "LayerTrace",
    "Module",
    "Neuron",
    "Trace",
    "accuracy",
    "classify",
    "data",
    "decision_threshold",
    "draw_network",
    "evaluate",
    "fit",
    "from_torch",
    "init",
    "load",
    "load_training_state",
    "losses",
    "optim",
    "predict",
    "render_network",
    "save",
    "schedulers",
    "to_torch",
    "trace",
]
