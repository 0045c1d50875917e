"""What several test modules share: the op rows, small helpers, the lecture example, a JupyterLab session."""
