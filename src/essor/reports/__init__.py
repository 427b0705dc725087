"""Rendering of playbooks and executive reports: HTML, Markdown, PDF, and charts as SVG."""
