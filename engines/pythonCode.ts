// Code we hand to `python -c`. Python puts the current folder first on sys.path for -c, so `import torch` in a
// folder holding a torch.py (or a pyannote/ package) would run that file: a check started in a downloaded folder
// would execute it. Every -c program therefore first drops the current folder from sys.path; configured places
// (the interpreter's own packages, PYTHONPATH set by whoever runs the worker) stay. Works on every Python 3
// (`python -P` would need 3.11); `site` has already run by then and never looks at the current folder.
const DROP_CWD = "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]\n";

export function pythonCode(code: string): string {
  return DROP_CWD + code;
}
