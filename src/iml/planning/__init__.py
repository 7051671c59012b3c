"""Planning: the Guideline Agent turns summary + profile into a Blueprint with its InterfaceContract."""
