# expect: 2
# A file that stops before it defines anything: a name used before it exists.
class Value(Base):  # noqa: F821 (the learner's mistake)
    pass
