"""glassgrad's neural networks: micrograd's ``Neuron``/``Layer``/``MLP`` and
what it takes to train them — losses, optimizers, schedules, datasets, a
training loop and JSON model files.

>>> import random
>>> from nn import MLP
>>> random.seed(1337)
>>> model = MLP(2, [16, 16, 1])
>>> model.layers[2]
Layer of [LinearNeuron(16)]
>>> len(model.parameters())
337
"""

from nn import datasets, functional, init, losses, optim, schedules
from nn.attention import CausalSelfAttention, KVCache
from nn.datasets import load_digits, make_blobs, make_circles, make_moons, make_spirals, make_xor
from nn.dropout import Dropout
from nn.embedding import Embedding
from nn.functional import log_softmax, softmax, step
from nn.gpt import GPT, Block
from nn.gpt_training import train_gpt
from nn.layers import MLP, Layer, Linear, Neuron, activation_op, build
from nn.limits import MAX_PARAMETERS
from nn.losses import (
    Loss,
    binary_cross_entropy,
    hinge,
    l2_penalty,
    logsumexp,
    mse,
    softmax_cross_entropy,
)
from nn.module import Module
from nn.names import load_names
from nn.norms import BatchNorm, LayerNorm, RMSNorm
from nn.optim import SGD, Adam, Optimizer
from nn.schedules import constant, cosine, linear
from nn.serialization import load, save
from nn.tokenizer import CharTokenizer
from nn.train import fit, predict

__all__ = [
    "GPT",
    "MAX_PARAMETERS",
    "MLP",
    "SGD",
    "Adam",
    "BatchNorm",
    "Block",
    "CausalSelfAttention",
    "CharTokenizer",
    "Dropout",
    "Embedding",
    "KVCache",
    "Layer",
    "LayerNorm",
    "Linear",
    "Loss",
    "Module",
    "Neuron",
    "Optimizer",
    "RMSNorm",
    "activation_op",
    "binary_cross_entropy",
    "build",
    "constant",
    "cosine",
    "datasets",
    "fit",
    "functional",
    "hinge",
    "init",
    "l2_penalty",
    "linear",
    "load",
    "load_digits",
    "load_names",
    "log_softmax",
    "logsumexp",
    "losses",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
    "mse",
    "optim",
    "predict",
    "save",
    "schedules",
    "softmax",
    "softmax_cross_entropy",
    "step",
    "train_gpt",
]
