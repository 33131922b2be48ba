from django.contrib import admin

from payments.models import Invoice, Payment, PaymentFile


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["ocr", "journey", "unit", "amount_ore", "due_date", "paid_at", "cancelled_at"]
    list_filter = ["unit"]
    search_fields = ["ocr", "journey__reference"]
    readonly_fields = [f.name for f in Invoice._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an accounting record, kept by the bookkeeping rules


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PaymentFile)
class PaymentFileAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "imported_at", "imported_by", "is_test"]
    readonly_fields = [f.name for f in PaymentFile._meta.fields]
    inlines = [PaymentInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # its payments are accounting records
