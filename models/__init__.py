"""The shipped model presets, installed as the package data of ``msroi.models`` (see
:mod:`msroi.zoo`): one folder each with config.json, weights, metadata.json."""
