"""`mllint stack`: the ML stack of each build stage, with the source of every fact.

``model`` turns the stage environment (:mod:`mllint.environment`) and the CUDA targets of the
installs (:mod:`mllint.targets`) into a view: per stage, what the base image provides, what the
stage's RUNs add or replace, and which stages ship. ``render`` prints it as text or JSON
(docs/stack.md). ``advisor`` finds official prebuilt images that ship a stage's stack as is
(rule ML020 and `mllint stack`); nothing here is imported on the lint path.
"""
