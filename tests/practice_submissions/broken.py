# expect: 2
class Value(:
    pass
