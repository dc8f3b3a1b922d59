"""The rooms domain: counselling sessions, admission, invitations and the waiting room.

Plain Python: nothing here imports a web or socket framework.
"""
