from django.urls import path

from .api import AuctionBidsApi, AuctionCancelApi, AuctionDetailApi, AuctionListCreateApi, AuctionResultApi, BidDetailApi, BidListApi

urlpatterns = [
    path("auctions", AuctionListCreateApi.as_view(), name="auction_list_create"),
    path("auctions/<str:auction_id>", AuctionDetailApi.as_view(), name="auction_detail"),
    path("auctions/<str:auction_id>/bids", AuctionBidsApi.as_view(), name="auction_bids"),
    path("auctions/<str:auction_id>/result", AuctionResultApi.as_view(), name="auction_result"),
    path("auctions/<str:auction_id>/cancel", AuctionCancelApi.as_view(), name="auction_cancel"),
    path("bids", BidListApi.as_view(), name="bid_list"),
    path("bids/<str:bid_id>", BidDetailApi.as_view(), name="bid_detail"),
]
