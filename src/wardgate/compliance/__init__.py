"""Compliance evidence from the live store: what Wardgate observed, mapped to the frameworks
auditors use (OWASP, MITRE ATLAS, AI Verify, NIST AI RMF, MAS, Australia's guidance, EU AI Act).

:func:`~wardgate.compliance.report.build_report` collects an
:class:`~wardgate.compliance.evidence.Evidence` snapshot from the database, assesses the 18
controls of :mod:`~wardgate.compliance.controls` by the explicit rules in
:mod:`~wardgate.compliance.assess`, and the ``render_*`` modules write it as JSON, HTML, PDF,
AI Verify process-checklist input blocks or a CycloneDX 1.6 attestation.
"""
