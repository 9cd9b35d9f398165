"""What a command did, published as CDEvents (v0.5.1) carried as CloudEvents.

After a command ends, :mod:`cibridge.events.publish` turns its result (command, status,
outputs) into events (:mod:`cibridge.events.from_command`), gives each transport in
``events.to`` the chance to take them, and spools what none took, so an event stream
never fails a build and never loses an event. Nothing here is imported unless events are
configured.
"""
