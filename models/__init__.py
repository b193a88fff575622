"""The shipped model presets, installed as the package data of ``msroi.models`` (see
:mod:`msroi.presets`): one folder each with config.json, weights, metadata.json."""
