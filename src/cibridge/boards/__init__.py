"""Azure Boards updates for what a run ships: state, comment, tags and links.

``discover`` finds the work items (``clients.azure_devops.refs``), ``settings`` where
Azure DevOps is, ``states`` which state a work item goes to, ``patch`` the JSON Patch
document of one update, ``comment`` renders the deployment comment, ``service`` updates
each work item and ``reporting`` reports the result.
"""
