from odoo import api, models

from odoo.addons.mfg_integration_api.routing import ApiRoute

from .. import schemas

HANDLERS = "mfg.integration.mrp.inbound"


class MfgIntegrationApi(models.AbstractModel):
    _inherit = "mfg.integration.api"

    @api.model
    def _api_routes(self):
        return super()._api_routes() + [
            ApiRoute(
                name="create_production_order",
                method="POST",
                path="/production-orders",
                handler=f"{HANDLERS}:_api_create_production_order",
                scope="production:write",
                summary="Create and confirm a manufacturing order from a planning system",
                request_schema=schemas.CREATE_PRODUCTION_ORDER,
                response_schema=schemas.PRODUCTION_ORDER,
                success_status=201,
                tag="Production",
                latency_class="near-real-time",
                example={
                    "id": "PLN-4711",
                    "product": "FG-100",
                    "quantity": 20,
                    "unit": "EA",
                    "due_date": "2026-12-01T06:00:00Z",
                    "origin": "Weekly plan 48",
                },
            ),
            ApiRoute(
                name="list_production_orders",
                method="GET",
                path="/production-orders",
                handler=f"{HANDLERS}:_api_list_production_orders",
                scope="production:read",
                summary="Production orders changed since a time, page by page (cursor)",
                query_schema=schemas.LIST_QUERY,
                tag="Production",
                latency_class="batch",
            ),
            ApiRoute(
                name="get_production_order",
                method="GET",
                path="/production-orders/{id}",
                handler=f"{HANDLERS}:_api_get_production_order",
                scope="production:read",
                summary="A production order in your identifiers and status codes",
                response_schema=schemas.PRODUCTION_ORDER,
                tag="Production",
            ),
            ApiRoute(
                name="confirm_production",
                method="POST",
                path="/production-orders/{id}/confirmations",
                handler=f"{HANDLERS}:_api_confirm_production",
                scope="production:write",
                summary="MES production confirmation, partial or final",
                request_schema=schemas.PRODUCTION_CONFIRMATION,
                tag="Production",
                example={
                    "produced_quantity": 20,
                    "scrapped_quantity": 1,
                    "scrap_reason": "SCR-01",
                    "final": True,
                    "lot": "LOT-2026-0042",
                    "work_center": "WC-ASSY",
                    "operator": "J. Doe",
                    "source_timestamp": "2026-11-26T10:00:00Z",
                },
            ),
            ApiRoute(
                name="work_order_event",
                method="POST",
                path="/work-orders/{id}/events",
                handler=f"{HANDLERS}:_api_work_order_event",
                scope="production:write",
                summary="Start, pause, resume or finish a work order",
                request_schema=schemas.WORK_ORDER_EVENT,
                tag="Production",
                example={"event": "start", "operator": "J. Doe"},
            ),
            ApiRoute(
                name="inventory_movements",
                method="POST",
                path="/inventory/movements",
                handler=f"{HANDLERS}:_api_inventory_movement",
                scope="inventory:write",
                summary="Batch of WMS movements and counts, applied asynchronously",
                request_schema=schemas.INVENTORY_MOVEMENTS,
                mode="async",
                batch_key="movements",
                tag="Inventory",
                latency_class="batch",
                example={
                    "movements": [
                        {
                            "type": "move",
                            "product": "CMP-7",
                            "quantity": 5,
                            "unit": "EA",
                            "from_location": "WH/A-01",
                            "to_location": "WH/LINE-1",
                        }
                    ]
                },
            ),
            ApiRoute(
                name="inventory_availability",
                method="GET",
                path="/inventory/availability",
                handler=f"{HANDLERS}:_api_availability",
                scope="inventory:read",
                summary="On-hand and available quantity of a product",
                query_schema=schemas.AVAILABILITY_QUERY,
                tag="Inventory",
            ),
            ApiRoute(
                name="receipt",
                method="POST",
                path="/receipts",
                handler=f"{HANDLERS}:_api_receipt",
                scope="purchase:write",
                summary="Supplier advance shipping notice or receipt against a purchase order",
                request_schema=schemas.RECEIPT,
                tag="Purchasing",
                latency_class="near-real-time",
                example={
                    "purchase_order": "P00012",
                    "reference": "ASN-991",
                    "done": True,
                    "lines": [{"product": "CMP-7", "quantity": 100, "unit": "EA"}],
                },
            ),
            ApiRoute(
                name="purchase_confirmation",
                method="POST",
                path="/purchase-orders/{id}/confirmations",
                handler=f"{HANDLERS}:_api_purchase_confirmation",
                scope="purchase:write",
                summary="Supplier acknowledgement: accepted, rejected or changed",
                request_schema=schemas.PURCHASE_CONFIRMATION,
                tag="Purchasing",
                example={
                    "status": "changed",
                    "supplier_reference": "SO-5531",
                    "lines": [{"product": "CMP-7", "date": "2026-12-03T08:00:00Z"}],
                },
            ),
            ApiRoute(
                name="quality_hold",
                method="POST",
                path="/quality/holds",
                handler=f"{HANDLERS}:_api_quality_hold",
                scope="quality:write",
                summary="Put a lot or serial on hold: it can no longer be reserved or shipped",
                request_schema=schemas.QUALITY_HOLD,
                tag="Quality",
                example={"lot": "LOT-2026-0042", "product": "FG-100", "reason": "Porosity found"},
            ),
            ApiRoute(
                name="quality_release",
                method="POST",
                path="/quality/releases",
                handler=f"{HANDLERS}:_api_quality_release",
                scope="quality:write",
                summary="Release a held lot or serial",
                request_schema=schemas.QUALITY_HOLD,
                tag="Quality",
            ),
            ApiRoute(
                name="shipment_confirmation",
                method="POST",
                path="/shipments/{id}/confirmations",
                handler=f"{HANDLERS}:_api_shipment_confirmation",
                scope="shipment:write",
                summary="Carrier or WMS shipment confirmation: validates the delivery",
                request_schema=schemas.SHIPMENT_CONFIRMATION,
                tag="Shipping",
                example={"tracking_reference": "1Z999AA10123456784", "carrier": "UPS"},
            ),
        ]
