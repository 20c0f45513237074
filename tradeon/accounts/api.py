"""Accounts API: who am I, token sign-in, and open registration for SMEs and buyers."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from buyers.api import BuyerSerializer
from catalog.api import CompanySerializer

from . import services
from .models import User


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "role", "company", "buyer_organisation", "preferred_language"]


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class TokenView(ObtainAuthToken):
    """POST username and password; get a token for the `Authorization: Token <key>` header."""

    throttle_classes = [AnonRateThrottle]


class _AccountInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})


class SMESignUpSerializer(_AccountInput):
    company = CompanySerializer()


class BuyerSignUpSerializer(_AccountInput):
    organisation = BuyerSerializer()


class SMESignUpView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(request=SMESignUpSerializer, responses={201: MeSerializer})
    def post(self, request):
        serializer = SMESignUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        company = dict(serializer.validated_data["company"])
        company.pop("seoul_award", None)  # granted by the agency, not self-declared
        company["status"] = company.get("status", "draft")
        user = services.sme_sign_up(
            username=serializer.validated_data["username"],
            email=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
            company=company,
        )
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)


class BuyerSignUpView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(request=BuyerSignUpSerializer, responses={201: MeSerializer})
    def post(self, request):
        serializer = BuyerSignUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.buyer_sign_up(
            username=serializer.validated_data["username"],
            email=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
            organisation=dict(serializer.validated_data["organisation"]),
        )
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)
