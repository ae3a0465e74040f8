from __future__ import annotations

from enum import StrEnum


class CustomerType(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    BUSINESS = "BUSINESS"


class VerificationType(StrEnum):
    STANDARD = "STANDARD"
    RELIANCE = "RELIANCE"


class CustomerStatus(StrEnum):
    INCOMPLETE = "INCOMPLETE"
    PROCESSING = "PROCESSING"
    REVIEWING = "REVIEWING"
    APPROVED = "APPROVED"
    ASSOCIATED_PARTIES_REMAINING = "ASSOCIATED_PARTIES_REMAINING"
    IN_COMPLIANCE = "IN_COMPLIANCE"
    ACTION_REQUIRED = "ACTION_REQUIRED"
    REJECTED = "REJECTED"


class PartyStatus(StrEnum):
    INITIATED = "INITIATED"
    REVIEWING = "REVIEWING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class EmploymentStatus(StrEnum):
    EMPLOYED = "EMPLOYED"
    SELF_EMPLOYED = "SELF_EMPLOYED"
    RETIRED = "RETIRED"
    STUDENT = "STUDENT"
    UNEMPLOYED = "UNEMPLOYED"


class Gender(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"
