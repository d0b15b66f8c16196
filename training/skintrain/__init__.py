"""skintrain: what the training scripts share (train.py, export.py, teacher.py, ensemble.py,
convert_*.py). Scripts import this package; the package never imports a script.

  labels       classes, names, per-architecture normalisation
  models       architectures by name (skinnet, mobilenet)
  data         split lists, images in memory, model inputs as skinscan preprocesses them
  augment      augmentation and normalisation (artefacts, color_constancy)
  metrics      balanced accuracy (one definition), scores, ECE, temperature
  trainer      mixed precision, EMA, batch-norm initialisation, evaluation
  calibration  temperature on val, feature statistics on train
  manifest     skinscan manifests
  distill      teacher, distillation loss, logit cache
  model_ensemble  several models as one
  view_pool    offline augmentation through frozen blocks
"""
