"""chainrule's tests: folders mirror the source; support/ holds what several share; cross/ what spans them."""
