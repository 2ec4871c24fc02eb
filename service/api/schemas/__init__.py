"""Request and response models of the HTTP API (pydantic v2), and the serializers.

Requests are validated into these models (field-level errors become problem+json `errors`);
domain results are turned into response models here and nowhere else. Field names are fixed
by API.md. One module per area: `common`, `organisation`, `performance`, `development`,
`access`.
"""
