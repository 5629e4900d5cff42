"""Real-browser tests: JupyterLab driven by Chromium through Playwright."""
